// meshsimService(service: 'NAME'): the declarative pipeline of one meshsim
// service (k8s/jenkins/pipelines/NAME.Jenkinsfile calls it). Stages: clean
// workspace, checkout, build and test (make check), build and push the image,
// helm upgrade --install into the service's namespace with the image tag as
// a parameter, then a smoke check. All cluster work goes through k8s/deploy,
// the same script a person uses (k8s/README.md).
//
// Agent needs: Debian with sudo or root (scripts/setup.sh installs the build
// packages), docker, helm, kubectl, and the aws CLI with credentials for ECR
// and the cluster. Global environment: REGISTRY (the ECR host), KUBE_CONTEXT.
def call(Map cfg) {
    String svc = cfg.service
    pipeline {
        agent { label cfg.get('agent', 'meshsim') }
        options {
            timeout(time: 60, unit: 'MINUTES')
            disableConcurrentBuilds()
            buildDiscarder(logRotator(numToKeepStr: '30'))
        }
        parameters {
            string(name: 'IMAGE_TAG', defaultValue: '', description: 'Image tag to build and deploy (empty: the commit, git describe)')
            booleanParam(name: 'DEPLOY', defaultValue: true, description: 'Deploy to the cluster after the image is pushed')
        }
        environment {
            SERVICE = "${svc}"
        }
        stages {
            stage('Clean workspace') {
                steps { cleanWs() }
            }
            stage('Checkout') {
                steps {
                    checkout scm
                    script {
                        env.TAG = params.IMAGE_TAG ?: sh(script: 'git describe --tags --always', returnStdout: true).trim()
                        currentBuild.displayName = "#${env.BUILD_NUMBER} ${svc}:${env.TAG}"
                    }
                }
            }
            stage('Build and test') {
                steps {
                    sh 'scripts/setup.sh'
                    sh 'make -C build -j"$(nproc)" check || { sed -n 1,400p build/test-suite.log; exit 1; }'
                }
            }
            stage('Image') {
                steps {
                    sh 'k8s/deploy --tag "$TAG" --registry "$REGISTRY" image "$SERVICE"'
                }
            }
            stage('Deploy') {
                when { expression { params.DEPLOY } }
                steps {
                    sh 'k8s/deploy --tag "$TAG" --registry "$REGISTRY" service "$SERVICE"'
                }
            }
            stage('Smoke') {
                when { expression { params.DEPLOY } }
                steps {
                    sh 'k8s/deploy smoke "$SERVICE"'
                }
            }
        }
        post {
            failure {
                echo "${svc}: failed; the previous release keeps serving (helm upgrade --wait rolls nothing forward half-way)"
            }
        }
    }
}
